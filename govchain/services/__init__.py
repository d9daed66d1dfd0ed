"""Services built on the registries: objections (PIPL art. 46)."""
