"""For developers, never production: the local Bot API emulator, the offline demo, triage evaluation."""
