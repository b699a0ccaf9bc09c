"""The zoo's catalog: `<name>/README.md`, one Hugging Face model card per zoo entry (see `dpzoo.catalog`)."""
