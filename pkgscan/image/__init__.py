"""Container images: manifests and indexes (:mod:`.oci`), layers merged into a Tree of the image's file
system (:mod:`.tree`), local OCI layouts and ``docker save`` tarballs (:mod:`.local`), the base
image's rpm database (:mod:`.rpmdb`).  Images in ECR are fetched by :mod:`pkgscan.aws.ecr`."""
