"""What every branchq process needs from the machine it runs on: files, systemd, logs."""
