"""The one typeface of every PNG and PDF circularity draws.

Labels, the Sankey picture and the PDF report print company names, materials and headings
in Chinese and German as well as English. Pillow's default font and the PDF base fonts
(Helvetica, Courier) have no Chinese glyphs, and a CID font such as STSong-Light is not
embedded, so a reader without an Asian font pack shows empty boxes. WenQuanYi Micro Hei
(circularity/data/fonts, Apache-2.0, see SOURCE.md there) covers the three languages, ships
inside the package and is embedded, as a subset of the glyphs used, in every PDF.
"""

from functools import cache
from importlib import resources

from PIL import ImageFont
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_FILE = str(resources.files("circularity") / "data" / "fonts" / "wqy-microhei.ttc")
#: The collection's first face, the proportional one; the second is its monospaced twin.
FACE = 0
#: The name the face is registered under with reportlab.
PDF_FONT = "WenQuanYiMicroHei"


@cache
def image_font(size: int) -> ImageFont.FreeTypeFont:
    """The face at ``size`` pixels, for Pillow."""
    return ImageFont.truetype(FONT_FILE, size, index=FACE)


@cache
def pdf_font() -> str:
    """Register the face with reportlab (once) and give its name.

    The face has no bold or italic, so those styles map to it too: reportlab's paragraph
    styles ask for Helvetica-Bold in headings and would otherwise fail to find a bold face.
    """
    pdfmetrics.registerFont(TTFont(PDF_FONT, FONT_FILE, subfontIndex=FACE))
    for bold in (0, 1):
        for italic in (0, 1):
            addMapping(PDF_FONT, bold, italic, PDF_FONT)
    return PDF_FONT
