"""The flow image's pure parts: ECR repository of a reference, lifecycle policy."""

from __future__ import annotations

from infra.aws.image import ecr_repository_arn, is_digest_pinned, lifecycle_policy

DIGEST = "sha256:" + "ab" * 32


def test_ecr_reference_names_its_repository() -> None:
    ref = f"123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/covid-forecast@{DIGEST}"
    assert ecr_repository_arn(ref) == (
        "arn:aws:ecr:eu-west-1:123456789012:repository/team/covid-forecast"
    )
    tagged = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/covid-forecast:v3"
    assert ecr_repository_arn(tagged) == (
        "arn:aws:ecr:eu-west-1:123456789012:repository/covid-forecast"
    )


def test_china_partition() -> None:
    ref = "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/covid-forecast:v1"
    assert ecr_repository_arn(ref) == (
        "arn:aws-cn:ecr:cn-north-1:123456789012:repository/covid-forecast"
    )


def test_non_ecr_images_need_no_ecr_permission() -> None:
    assert ecr_repository_arn(f"ghcr.io/org/covid-forecast@{DIGEST}") is None
    assert ecr_repository_arn("prefecthq/prefect-aws:latest") is None


def test_digest_pinning() -> None:
    assert is_digest_pinned(f"ghcr.io/org/covid-forecast@{DIGEST}")
    assert not is_digest_pinned("ghcr.io/org/covid-forecast:latest")


def test_lifecycle_keeps_the_newest_n_images_of_any_tag() -> None:
    (rule,) = lifecycle_policy(7)["rules"]
    assert rule["selection"] == {
        "tagStatus": "any",
        "countType": "imageCountMoreThan",
        "countNumber": 7,
    }
    assert rule["action"] == {"type": "expire"}
