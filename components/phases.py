"""The phase composer: which components a stack gets, by phase and wave."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi

from assessment.inventory import Application, Inventory
from components.access_proxy import AccessProxy, AccessProxyArgs
from components.identity import IdentityProvider, IdentityProviderArgs
from components.posture_gate import PostureGate, PostureGateArgs, gate_target
from components.segmentation import Segmentation, SegmentationArgs
from components.settings import StackSettings

IMPLEMENTED_PHASE = 4
"""The highest phase whose components exist; later phases deploy up to it."""


@dataclass(frozen=True)
class ZeroTrustStackArgs:
    """The stack's settings and the apps of its wave."""

    settings: StackSettings
    inventory: Inventory
    apps: Sequence[Application]
    database_password: pulumi.Input[str] | None = None
    oidc_client_secrets: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    gate_push_key: pulumi.Input[str] | None = None
    """``ztkit:gatePushKey``, secret; the gate's push endpoint is off without it."""
    gate_redis_url: pulumi.Input[str] | None = None
    """``ztkit:gateRedisUrl``, secret; with an external Redis only."""
    device_ca_certificate: str | None = None
    """``ztkit:deviceCaCertificate``, checked PEM; with a provided device CA only."""


class ZeroTrustStack(pulumi.ComponentResource):
    """Every component up to the stack's phase, for the apps of its wave.

    Phases are cumulative and names never depend on the phase, so raising the
    phase only adds resources and changes labels: nothing of a lower phase is
    removed or replaced. Phase 4 changes one thing of phase 2 in place: each
    app's external-auth check goes to the posture gate instead of its proxy.
    """

    def __init__(
        self,
        name: str,
        args: ZeroTrustStackArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("ztkit:phases:ZeroTrustStack", name, None, opts)
        settings = args.settings
        phase = settings.phase
        child = pulumi.ResourceOptions(parent=self)

        if phase > IMPLEMENTED_PHASE:
            # TODO: the monitoring component (phase 5: decision and audit logs
            # shipped, access reviews) is not written yet; such a stack deploys
            # phases 1-4 only.
            pulumi.log.warn(
                f"phase {phase} asked for; this version deploys phases 1-{IMPLEMENTED_PHASE}",
                self,
            )

        identity = None
        if phase >= 1:
            # Phase 1: sign-in with MFA and one OIDC client per app of the wave.
            identity = IdentityProvider(
                f"{name}-identity",
                IdentityProviderArgs(
                    inventory=args.inventory,
                    apps=args.apps,
                    settings=settings,
                    phase=1,
                    database_password=args.database_password,
                    oidc_client_secrets=args.oidc_client_secrets,
                ),
                opts=child,
            )

        # From phase 4 the gateway asks the posture gate, which asks the proxy.
        posture_gate = gate_target(settings) if phase >= 4 else None
        if phase >= 2 and identity is not None:
            # Phase 2: an access proxy in front of each app of the wave.
            for app in args.apps:
                AccessProxy(
                    f"{name}-{app.id}-access",
                    AccessProxyArgs(
                        app=app,
                        issuer_url=identity.issuer_url,
                        client_id=identity.client_ids[app.id],
                        client_secret=identity.client_secrets[app.id],
                        gateway=settings.gateway,
                        phase=2,
                        posture_gate=posture_gate,
                    ),
                    opts=child,
                )

        if phase >= 3:
            # Phase 3: default deny in every namespace of the wave, with the
            # allows the inventory declares.
            Segmentation(
                f"{name}-segmentation",
                SegmentationArgs(
                    inventory=args.inventory, apps=args.apps, settings=settings
                ),
                opts=child,
            )

        if phase >= 4:
            # Phase 4: device identity and health decide, per data class, what
            # each request may do.
            PostureGate(
                f"{name}-posture-gate",
                PostureGateArgs(
                    apps=args.apps,
                    settings=settings,
                    phase=4,
                    push_key=args.gate_push_key,
                    redis_url=args.gate_redis_url,
                    device_ca_certificate=args.device_ca_certificate,
                ),
                opts=child,
            )

        self.phase = phase
        self.wave = [app.id for app in args.apps]
        self.register_outputs({"phase": self.phase, "wave": self.wave})
