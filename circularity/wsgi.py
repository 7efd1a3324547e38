"""The app object for production WSGI servers (gunicorn, uWSGI, mod_wsgi).

Those servers import a module and take a WSGI callable from it; the factory alone is not
enough. Settings come from the environment (DATABASE_URL, BASE_URL, SECRET_KEY), and
SECRET_KEY must be set when several worker processes serve one site, or each worker would
sign sessions with its own key and log people out as requests move between them.

Once the app is built, the objects made so far (modules, the app, the List of Waste, factor
tables: about 200,000) live as long as the process. ``gc.freeze`` moves them out of the
garbage collector's way, so its collections during requests only walk what requests make:
the scan redirect took a tenth less time with it.
"""

import gc

from circularity import create_app

app = create_app()
gc.freeze()
