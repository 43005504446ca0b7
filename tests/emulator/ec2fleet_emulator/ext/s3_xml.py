"""S3 response roots. moto 5.2.5 serializes some REST-XML answers with a generic
`<OperationResponse>` root where S3 uses the shape's own element (for example
`<VersioningConfiguration>` for GetBucketVersioning). botocore reads either; the
AWS Rust SDK checks the root and fails, so the root is renamed to S3's."""
import re

from . import post

# Operation -> the root element S3 sends (botocore's S3 model, output shapes).
ROOTS = {
    "GetBucketVersioning": "VersioningConfiguration",
}


def _rename_root(op, root):
    generic = f"{op}Response"

    def fix(call, reply):
        if reply.ok and reply.body:
            text = reply.text
            text = re.sub(rf"<{generic}(\s|/|>)", rf"<{root}\1", text, count=1)
            text = text.replace(f"</{generic}>", f"</{root}>")
            reply.set_text(text)
    return fix


for _op, _root in ROOTS.items():
    post(f"s3:{_op}")(_rename_root(_op, _root))
