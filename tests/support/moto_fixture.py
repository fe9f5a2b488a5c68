"""Sets up a moto account for the task end-to-end test and prints it as JSON.

With moto's auth off: an admin user allowed everything (its key is what the
engine provisions leases with), the base role leases assume (trusting the
admin, allowed to read paddock-data/*), and two objects: one inside the
grant the task gets (reports/) and one outside it (private/). Then auth on,
so from here every request must be signed by a key IAM allows.

Usage: python moto_fixture.py PORT
"""
import json
import sys
import urllib.request

import boto3

port = int(sys.argv[1])
url = f"http://127.0.0.1:{port}"
anyone = dict(aws_access_key_id="AKIABOOTSTRAP0000000", aws_secret_access_key="bootstrap", region_name="us-east-1")
iam = boto3.client("iam", endpoint_url=url, **anyone)
iam.create_user(UserName="admin")
iam.put_user_policy(
    UserName="admin",
    PolicyName="admin-all",
    PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
)
key = iam.create_access_key(UserName="admin")["AccessKey"]
admin_arn = iam.get_user(UserName="admin")["User"]["Arn"]
trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": admin_arn},
         "Action": ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"]}]}
role = iam.create_role(RoleName="paddock-base", AssumeRolePolicyDocument=json.dumps(trust), MaxSessionDuration=3600)
iam.put_role_policy(
    RoleName="paddock-base",
    PolicyName="base-s3",
    PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                                       "Resource": "arn:aws:s3:::paddock-data/*"}]}),
)
s3 = boto3.client("s3", endpoint_url=url, **anyone)
s3.create_bucket(Bucket="paddock-data")
s3.put_object(Bucket="paddock-data", Key="reports/q1.txt", Body=b"q1 revenue: 42")
s3.put_object(Bucket="paddock-data", Key="private/salaries.txt", Body=b"salaries: confidential")
req = urllib.request.Request(f"{url}/moto-api/reset-auth", data=b"0", method="POST", headers={"Content-Type": "text/plain"})
urllib.request.urlopen(req).read()
print(json.dumps({"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"],
                  "role_arn": role["Role"]["Arn"]}))
