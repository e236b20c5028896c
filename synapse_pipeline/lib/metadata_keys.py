"""Metadata keys read outside the stage that writes them, here with no import of that stage: `synapse run` reads
them to decide there is nothing to do, without waiting for pandas and pandera."""

EXPORT_PATH_KEY = "export_path"  # the file validated ("path" is the IO manager's, where it stores the output)
SHA256_KEY = "sha256"  # the validated file's content hash: the sensors compare exports against it
WITHDRAWN_KEY = "withdrawn"  # a month with nothing billed: its report withdrawn, none stored
