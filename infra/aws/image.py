"""The flow image: an ECR repository and the repo's Dockerfile built and pushed into it.

Deployments and the work pool use the digest-pinned reference (`repo@sha256:...`), so a flow
run always starts exactly the image `pulumi up` built, whatever later pushes do to a tag.
A configured `imageUri` skips all of this (CI runners without a Docker daemon).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_docker as docker

from infra.config import PROJECT_DIR

# The build target: Fargate tasks run x86_64 unless told otherwise (see worker.py).
IMAGE_PLATFORM = "linux/amd64"
# The tag each build moves; the digest, not the tag, is what flow runs use.
BUILD_TAG = "latest"

_ECR_IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com"
    r"(?P<china>\.cn)?/(?P<repository>[^:@]+)(?::[\w][\w.-]*)?(?:@[\w+.-]+:[0-9a-fA-F]+)?$"
)


def ecr_repository_arn(image_ref: str) -> str | None:
    """The ECR repository ARN of an image reference, or None when it is not in ECR."""
    match = _ECR_IMAGE.match(image_ref)
    if not match:
        return None
    partition = "aws-cn" if match["china"] else "aws"
    return (
        f"arn:{partition}:ecr:{match['region']}:{match['account']}:repository/{match['repository']}"
    )


def is_digest_pinned(image_ref: str) -> bool:
    """True for `repo@sha256:<digest>` references (immutable)."""
    return "@sha256:" in image_ref


def lifecycle_policy(keep_count: int) -> dict[str, Any]:
    """ECR lifecycle policy expiring all but the newest `keep_count` images."""
    return {
        "rules": [
            {
                "rulePriority": 1,
                "description": f"keep the newest {keep_count} flow images",
                "selection": {
                    "tagStatus": "any",
                    "countType": "imageCountMoreThan",
                    "countNumber": keep_count,
                },
                "action": {"type": "expire"},
            }
        ]
    }


class FlowImage(pulumi.ComponentResource):
    """ECR repository (scan on push, lifecycle, force delete) + the built flow image."""

    ref: pulumi.Output[str]
    repository_arn: pulumi.Output[str]
    repository_url: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        keep_count: int,
        context_dir: Path = PROJECT_DIR,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("covid-forecast:aws:FlowImage", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        repository = aws.ecr.Repository(
            name,
            name=name,
            image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(
                scan_on_push=True
            ),
            image_tag_mutability="MUTABLE",  # BUILD_TAG moves; flow runs pin digests
            force_delete=True,  # `pulumi destroy` must not stop at a non-empty repository
            opts=child,
        )
        aws.ecr.LifecyclePolicy(
            f"{name}-lifecycle",
            repository=repository.name,
            policy=json.dumps(lifecycle_policy(keep_count)),
            opts=child,
        )
        token = aws.ecr.get_authorization_token_output(
            registry_id=repository.registry_id, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        tagged = repository.repository_url.apply(lambda url: f"{url}:{BUILD_TAG}")
        image = docker.Image(
            f"{name}-image",
            image_name=tagged,
            build=docker.DockerBuildArgs(
                context=str(context_dir),
                dockerfile=str(context_dir / "Dockerfile"),
                platform=IMAGE_PLATFORM,
                builder_version=docker.BuilderVersion.BUILDER_BUILD_KIT,
                # Inline cache metadata lets the next build reuse layers of the pushed image.
                args={"BUILDKIT_INLINE_CACHE": "1"},
                cache_from=docker.CacheFromArgs(images=[tagged]),
            ),
            registry=docker.RegistryArgs(
                server=repository.repository_url,
                username=token.user_name,
                password=pulumi.Output.secret(token.password),
            ),
            opts=child,
        )
        self.ref = image.repo_digest
        self.repository_arn = repository.arn
        self.repository_url = repository.repository_url
        self.register_outputs({"ref": self.ref, "repositoryUrl": self.repository_url})


def configured_image(image_uri: str) -> str:
    """The configured `imageUri`, warning when it is a movable tag rather than a digest."""
    if not is_digest_pinned(image_uri):
        pulumi.log.warn(
            f"imageUri {image_uri!r} is not digest-pinned: flow runs start whatever the tag "
            "points to at launch. Prefer <repository>@sha256:<digest>."
        )
    return image_uri
