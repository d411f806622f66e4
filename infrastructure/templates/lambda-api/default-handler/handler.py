"""The function a lambda-api environment runs until the repository gives its own (lambda_zip or image_uri).

API Gateway's HTTP API hands every request over as a payload of format 2.0; the answer names the
environment, so a reviewer can tell which preview answered.
"""

import json
import os


def handler(event, context):
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(
            {
                "environment": os.environ.get("IDP_ENVIRONMENT", ""),
                "path": event.get("rawPath", "/"),
            }
        ),
    }
