"""The app object for production WSGI servers (gunicorn, uWSGI, mod_wsgi).

Those servers import a module and take a WSGI callable from it; the factory alone is not
enough. Settings come from the environment (DATABASE_URL, BASE_URL, SECRET_KEY), and
SECRET_KEY must be set when several worker processes serve one site, or each worker would
sign sessions with its own key and log people out as requests move between them.
"""

from circularity import create_app

app = create_app()
