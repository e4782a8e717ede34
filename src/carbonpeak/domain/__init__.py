"""Pure domain calculations: no I/O, no configuration, no clock."""
