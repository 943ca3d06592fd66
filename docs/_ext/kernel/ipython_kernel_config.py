"""Configuration of the IPython kernels that execute the notebooks during the documentation build.

The build starts each kernel on this machine over local TCP, and ipykernel (7.x) then logs a
warning that the connection is not encrypted; nine notebooks gave nine such lines in the build
log, which must have none. The kernels talk only to the build process on the same machine, so
exactly that message is filtered from the kernel's log; every other kernel message stays.
"""

import logging


class _LocalTcpNotice(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "running over TCP without encryption" not in record.getMessage()


logging.getLogger("IPKernelApp").addFilter(_LocalTcpNotice())
