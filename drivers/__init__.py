"""Device drivers: wire protocols and their virtual twins. Nothing here knows about queues."""
