"""1,000 labels on one A4 label sheet: the largest print run a person is likely to ask for.

Builds label data from the List of Waste (every code in turn, so hazardous labels with their
orange marking are among them) with fresh batch codes, renders the PDF with
``circularity.services.custody.labels.pdf`` and prints the time, pages and size. Target: under 5 s.
The PDF is checked to open and to hold a decodable QR code on its first page when pypdfium2
and zxing-cpp are installed (the test extras).

    .venv/bin/python bench/labels_pdf.py [--count 1000] [--repeat 3]
"""

import argparse
import itertools
import time

from circularity.services import catalogue
from circularity.services.custody import labels
from circularity.services.custody.operations import new_code

BASE_URL = "https://circularity.example"
TARGET_SECONDS = 5.0


def label_data(count: int) -> list[labels.LabelData]:
    materials = itertools.cycle(catalogue.materials().values())
    result = []
    for _ in range(count):
        code = new_code()
        result.append(
            labels.LabelData(
                code=code,
                url=labels.label_url(BASE_URL, code),
                material=next(materials),
                company="Loujiang Special Steel (demo)",
            )
        )
    return result


def check(pdf: bytes, first: labels.LabelData) -> str:
    try:
        import pypdfium2
        import zxingcpp
    except ImportError:
        return "not checked (pypdfium2 and zxing-cpp not installed)"
    document = pypdfium2.PdfDocument(pdf)
    try:
        pages = len(document)
        image = document[0].render(scale=2).to_pil()
    finally:
        document.close()
    texts = {result.text for result in zxingcpp.read_barcodes(image)}
    assert first.url in texts, f"first label's QR code not found on page 1: {sorted(texts)}"
    return f"{pages} pages, first label's QR code decodes"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    data = label_data(args.count)
    times = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        pdf = labels.pdf(data)
        times.append(time.perf_counter() - started)
    best = min(times)
    print(
        f"{args.count} labels to one PDF: best {best:.2f} s, "
        f"runs {', '.join(f'{t:.2f}' for t in times)} s; {len(pdf) / 1e6:.1f} MB"
    )
    print(check(pdf, data[0]))
    verdict = "meets" if max(times) < TARGET_SECONDS else "misses"
    print(f"target < {TARGET_SECONDS:.0f} s: {verdict}")


if __name__ == "__main__":
    main()
