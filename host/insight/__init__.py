"""Lobby intelligence: wait estimates, Erlang C staffing advice, reports, the daily work log."""
