"""Reference implementation of the MindSpore initializer API (see SPEC §4)."""
