"""The web screens served by the host: hall display, counter console, lobby dashboard and the
customer's status page. Plain HTML/JS/CSS from ``static/``: no build step and nothing fetched
from outside the host, so the screens work on a branch LAN with no internet."""
