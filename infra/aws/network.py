"""Where the worker and the flow runs live: VPC, subnets and an egress-only security group.

Unless configured, the account's default VPC and all of its subnets. Nothing listens: the
worker polls Prefect and flow runs call out (Prefect, ECR, S3, SSM, CloudWatch, the data
source), so the security group has no ingress rule at all.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from infra.config import StackConfig


class Network(pulumi.ComponentResource):
    """The stack's VPC and subnets (configured or default) and its tasks' security group."""

    vpc_id: pulumi.Output[str]
    subnet_ids: pulumi.Output[list[str]]
    security_group_id: pulumi.Output[str]

    def __init__(
        self, name: str, config: StackConfig, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("covid-forecast:aws:Network", name, None, opts)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        if config.vpc_id:
            vpc_id: pulumi.Output[str] = pulumi.Output.from_input(config.vpc_id)
        elif config.subnet_ids:
            # Subnets without a VPC: the VPC is theirs, not the default one.
            vpc_id = aws.ec2.get_subnet_output(id=config.subnet_ids[0], opts=invoke).vpc_id
        else:
            vpc_id = aws.ec2.get_vpc_output(default=True, opts=invoke).id
        if config.subnet_ids:
            subnet_ids: pulumi.Output[list[str]] = pulumi.Output.from_input(list(config.subnet_ids))
        else:
            subnet_ids = aws.ec2.get_subnets_output(
                filters=vpc_id.apply(
                    lambda vpc: [aws.ec2.GetSubnetsFilterArgs(name="vpc-id", values=[vpc])]
                ),
                opts=invoke,
            ).ids
        group = aws.ec2.SecurityGroup(
            f"{name}-tasks",
            vpc_id=vpc_id,
            description=f"Prefect worker and flow runs of stack {config.stack}: egress only",
            ingress=[],
            egress=[
                aws.ec2.SecurityGroupEgressArgs(
                    description="Prefect API, AWS APIs, data source",
                    protocol="-1",
                    from_port=0,
                    to_port=0,
                    cidr_blocks=["0.0.0.0/0"],
                    ipv6_cidr_blocks=["::/0"],
                )
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.vpc_id = vpc_id
        self.subnet_ids = subnet_ids
        self.security_group_id = group.id
        self.register_outputs({"vpcId": vpc_id, "securityGroupId": group.id})
