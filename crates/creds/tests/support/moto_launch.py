"""Starts moto_server with one gap filled for Paddock's tests.

moto 5.2 has no IAM ListServiceSpecificCredentials (it answers 500), and cannot create such
credentials either, so the faithful answer for any existing user is an empty list. Paddock's
DeleteUser sequence lists them like AWS requires; without this the emulator, not Paddock, fails.
"""
import sys

from moto.core.responses import ActionResult
from moto.iam.responses import IamResponse

if not hasattr(IamResponse, "list_service_specific_credentials"):

    def list_service_specific_credentials(self):
        self.backend.get_user(self._get_param("UserName"))  # NoSuchEntity for a missing user, like AWS
        return ActionResult({"ServiceSpecificCredentials": []})

    IamResponse.list_service_specific_credentials = list_service_specific_credentials

from moto.server import main  # noqa: E402

sys.exit(main(sys.argv[1:]))
