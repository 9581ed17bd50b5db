"""branchq host service: the queue engine, its storage and the HTTP/WebSocket API."""
