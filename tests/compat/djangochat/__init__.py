"""A Django app whose ``sockets.py`` registers namespaces with ``sdjango``."""
