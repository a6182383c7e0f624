"""Optional glue for particular hosts; each subpackage is an app a host adds to ``INSTALLED_APPS``."""
