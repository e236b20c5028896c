"""Sample exports shaped like the real ones (export profile), of any size."""
