"""Personal data: "Mina uppgifter" (export and account deletion) and the retention jobs."""
