"""Found by ``sdjango.autodiscover()``, as in gevent-socketio Django projects."""

from geventsio.mixins import RoomsMixin
from geventsio.namespace import BaseNamespace
from geventsio.sdjango import namespace


@namespace('/chat')
class ChatNamespace(BaseNamespace, RoomsMixin):
    def on_join(self, room):
        self.join(room)
        return room

    def on_say(self, room, text):
        self.emit_to_room(room, 'said', text)

    def on_whoami(self):
        # the Django request of the socket.io view, as in gevent-socketio
        return type(self.request).__name__, self.request.path.startswith('/socket.io')
