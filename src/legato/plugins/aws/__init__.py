"""Kestra's AWS plugin (`io.kestra.plugin.aws.*`): S3 tasks and trigger, DynamoDB, Athena and the AWS CLI, through
boto3 and awscli (the `aws` extra: pip install 'legato[aws]'). Registered through the `legato.plugins` entry
point `aws`."""
