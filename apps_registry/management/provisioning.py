"""The shape the provisioning commands share: call one service, print what it made as JSON."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError


class ProvisioningCommand(BaseCommand):
    """`provision` calls the service and returns what to print; a refusal the service explains
    (DomainError) ends the command with that explanation rather than a traceback."""

    def provision(self, **options) -> dict:
        raise NotImplementedError

    def handle(self, *args, **options):
        try:
            output = self.provision(**options)
        except DomainError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(json.dumps(output))
