"""Settings of a small Django project using ``geventsio.sdjango`` (URLconf:
:mod:`tests.compat.django_urls`)."""

SETTINGS = dict(
    DEBUG=False,
    SECRET_KEY='only-for-the-tests',
    ALLOWED_HOSTS=['127.0.0.1'],
    ROOT_URLCONF='tests.compat.django_urls',
    INSTALLED_APPS=['tests.compat.djangochat'],
    MIDDLEWARE=['django.middleware.common.CommonMiddleware',
                'django.middleware.csrf.CsrfViewMiddleware'],
    DATABASES={},
    USE_TZ=True,
)
