"""The AWS components of the `aws` platform, one concern per module.

`image` (ECR + flow image), `secrets` (SSM parameters for the Prefect connection), `network`
(VPC, subnets, egress-only security group), `logs` (CloudWatch log group), `cluster` (ECS
cluster), `events` (ECS task events for the worker's observer), `roles` (IAM roles; their
policies are pure functions in `iam`), `worker` (the Prefect worker service), `storage`
(results bucket), `shared` (what a platform stack exports and how a city stack reads it).
"""
