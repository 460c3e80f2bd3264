"""The stack's images: the repo's Dockerfile built twice and pushed into two ECR repositories.

Two targets of one Dockerfile: `flow` (every flow run's task; lean, prefect-client) into the
repository `<prefix>`, and `worker` (the always-on `prefect worker start --type ecs`; prefect +
prefect-aws) into `<prefix>-worker`. One repository each, so each execution role may pull only
the image its tasks run. Deployments, the work pool and the worker's task definition use
digest-pinned references (`repo@sha256:...`), so a task always starts exactly the image
`pulumi up` built, whatever later pushes do to a tag. A configured `imageUri` skips all of this
(CI runners without a Docker daemon).
"""

from __future__ import annotations

import json
import re
from functools import partial
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_docker as docker

from infra.config import PROJECT_DIR

# The build target: Fargate tasks run x86_64 unless told otherwise (see worker.py).
IMAGE_PLATFORM = "linux/amd64"
# Dockerfile targets, also the tags each build moves; the digests are what tasks use.
FLOW_TARGET = "flow"
WORKER_TARGET = "worker"

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
                "description": f"keep the newest {keep_count} images",
                "selection": {
                    "tagStatus": "any",
                    "countType": "imageCountMoreThan",
                    "countNumber": keep_count,
                },
                "action": {"type": "expire"},
            }
        ]
    }


def tag_of(repository_url: str, target: str) -> str:
    """The moving tag a target's build pushes: `<repository>:<target>`."""
    return f"{repository_url}:{target}"


def build_args(context_dir: Path, target: str, tagged: pulumi.Input[str]) -> docker.DockerBuildArgs:
    """How one target is built: BuildKit, amd64, cached from its own pushed image."""
    return docker.DockerBuildArgs(
        context=str(context_dir),
        dockerfile=str(context_dir / "Dockerfile"),
        target=target,
        platform=IMAGE_PLATFORM,
        builder_version=docker.BuilderVersion.BUILDER_BUILD_KIT,
        # Inline cache metadata lets the next build reuse layers of the pushed image.
        args={"BUILDKIT_INLINE_CACHE": "1"},
        cache_from=docker.CacheFromArgs(images=[tagged]),
    )


class StackImages(pulumi.ComponentResource):
    """Two ECR repositories (scan on push, lifecycle, force delete) and the images built into
    them: the flow image in `name`, the worker image in `name-worker`."""

    ref: pulumi.Output[str]
    worker_ref: pulumi.Output[str]
    repository_arn: pulumi.Output[str]
    worker_repository_arn: pulumi.Output[str]
    repository_url: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        keep_count: int,
        context_dir: Path = PROJECT_DIR,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        # Was `FlowImage`: the alias keeps existing stacks' repository (URNs include the type).
        renamed = pulumi.ResourceOptions(
            aliases=[pulumi.Alias(type_="covid-forecast:aws:FlowImage")]
        )
        super().__init__(
            "covid-forecast:aws:StackImages",
            name,
            None,
            pulumi.ResourceOptions.merge(renamed, opts),
        )
        built = {
            target: self._repository_and_image(repository_name, target, keep_count, context_dir)
            for target, repository_name in ((FLOW_TARGET, name), (WORKER_TARGET, f"{name}-worker"))
        }
        flow, worker = built[FLOW_TARGET], built[WORKER_TARGET]
        self.ref, self.repository_arn, self.repository_url = flow
        self.worker_ref, self.worker_repository_arn, _ = worker
        self.register_outputs(
            {"ref": self.ref, "workerRef": self.worker_ref, "repositoryUrl": self.repository_url}
        )

    def _repository_and_image(
        self, name: str, target: str, keep_count: int, context_dir: Path
    ) -> tuple[pulumi.Output[str], pulumi.Output[str], pulumi.Output[str]]:
        """(digest-pinned reference, repository ARN, repository URL) of one target."""
        child = pulumi.ResourceOptions(parent=self)
        repository = aws.ecr.Repository(
            name,
            name=name,
            image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(
                scan_on_push=True
            ),
            image_tag_mutability="MUTABLE",  # the target tag moves; tasks pin digests
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
        tagged = repository.repository_url.apply(partial(tag_of, target=target))
        image = docker.Image(
            # `<prefix>-image` for the flow image, as before the worker image existed.
            f"{name}-image",
            image_name=tagged,
            build=build_args(context_dir, target, tagged),
            registry=docker.RegistryArgs(
                server=repository.repository_url,
                username=token.user_name,
                password=pulumi.Output.secret(token.password),
            ),
            opts=child,
        )
        return image.repo_digest, repository.arn, repository.repository_url


def configured_image(image_uri: str) -> str:
    """The configured `imageUri`, warning when it is a movable tag rather than a digest."""
    if not is_digest_pinned(image_uri):
        pulumi.log.warn(
            f"imageUri {image_uri!r} is not digest-pinned: flow runs start whatever the tag "
            "points to at launch. Prefer <repository>@sha256:<digest>."
        )
    return image_uri
