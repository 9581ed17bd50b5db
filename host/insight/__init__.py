"""Lobby intelligence: wait estimates, Erlang C staffing advice, reports, simulation of a branch day."""
