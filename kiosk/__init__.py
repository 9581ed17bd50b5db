"""branchq kiosk: the Raspberry Pi ticket machine and device gateway at the branch entrance."""
