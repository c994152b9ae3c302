"""Landing → bronze: register, parse, accept or reject every delivered row."""
