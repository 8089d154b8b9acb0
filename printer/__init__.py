"""Paper tickets: layout to ESC/POS (python-escpos), transports chosen by PRINTER_URL, the
spooler, a preview renderer and the remote print agent. This package never imports ``app``."""
