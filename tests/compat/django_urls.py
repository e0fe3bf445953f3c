"""The URLconf: ``/socket.io`` goes to ``sdjango``'s view, as in gevent-socketio."""

from django.http import HttpResponse
from django.urls import include, re_path

from geventsio import sdjango

sdjango.autodiscover()


def index(request):
    return HttpResponse('django index')


urlpatterns = [
    re_path(r'^socket\.io', include(sdjango.urls)),
    re_path(r'^$', index),
]
