#!/usr/bin/env bash
# Fan out an organization-wide pkgscan run on AWS Batch, then merge the shards.
#
#   1. (optional) a `pkgscan db update` job refreshes the advisory database on EFS (/data/db);
#   2. an array job of N children runs `pkgscan account --org ... --shard-count N`; each child
#      takes its shard index from AWS_BATCH_JOB_ARRAY_INDEX and scans its share of the
#      (account, region) pairs into /out/RUN_ID/shard-INDEX/ (Batch cannot put the index into
#      the command, so the job definition's --out-dir is /out/RUN_ID/shard-{shard});
#   3. a merge job depends on the array job with a standard dependency (no type), so it starts
#      only after every child has succeeded, and merges /out/RUN_ID/shard-* into
#      /out/RUN_ID/merged/.
#
# N_TO_N would pair child i with child i of another array job and SEQUENTIAL would chain the
# children one after another; neither is wanted here.
#
# Usage: submit-array-job.sh -q JOB_QUEUE -n SHARDS [-d JOB_DEFINITION] [-r RUN_ID]
#                            [-g REGIONS] [--skip-db-update]
# The AWS CLI's usual credentials and region apply (AWS_PROFILE, AWS_REGION, ...).
set -euo pipefail

usage() {
    sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
}

queue=""
shards=""
job_definition="pkgscan-account-shard"
run_id="run-$(date -u +%Y%m%dT%H%M%SZ)"
regions="all"
db_update=1

while [ $# -gt 0 ]; do
    case "$1" in
        -q|--queue) queue=${2:?}; shift 2 ;;
        -n|--shards) shards=${2:?}; shift 2 ;;
        -d|--job-definition) job_definition=${2:?}; shift 2 ;;
        -r|--run-id) run_id=${2:?}; shift 2 ;;
        -g|--regions) regions=${2:?}; shift 2 ;;
        --skip-db-update) db_update=0; shift ;;
        -h|--help) usage ;;
        *) echo "submit-array-job.sh: unknown argument: $1" >&2; usage ;;
    esac
done

die() { echo "submit-array-job.sh: $*" >&2; exit 2; }

[ -n "$queue" ] || die "-q JOB_QUEUE is required"
[[ "$shards" =~ ^[0-9]+$ ]] || die "-n SHARDS must be a number"
# An AWS Batch array job has between 2 and 10,000 children.
{ [ "$shards" -ge 2 ] && [ "$shards" -le 10000 ]; } || die "-n SHARDS must be between 2 and 10000"
# The run id becomes part of job names and of paths under /out.
[[ "$run_id" =~ ^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$ ]] || die "-r RUN_ID: letters, digits, '-' and '_' only"
[[ "$regions" =~ ^[a-z0-9,-]+$ ]] || die "-g REGIONS: 'all' or a comma-separated list of regions"

# Containers run `pkgscan ARGS...` (the image's entrypoint); these are the ARGS.
db_cmd=(db update)
merge_cmd=(merge "/out/${run_id}" --out-dir "/out/${run_id}/merged")

json_str() {
    local s=${1//\\/\\\\}
    s=${s//\"/\\\"}
    printf '"%s"' "$s"
}

json_array() {
    local out="" sep="" a
    for a in "$@"; do
        out+="${sep}$(json_str "$a")"
        sep=","
    done
    printf '[%s]' "$out"
}

# depends_on JOB_ID...: a dependsOn list of standard dependencies (no "type").
depends_on() {
    local out="" sep="" id
    for id in "$@"; do
        out+="${sep}{\"jobId\":$(json_str "$id")}"
        sep=","
    done
    printf '[%s]' "$out"
}

submit() {
    aws batch submit-job --cli-input-json "$1" --query jobId --output text
}

dependencies=()
if [ "$db_update" -eq 1 ]; then
    db_job=$(submit "{\"jobName\":$(json_str "pkgscan-${run_id}-db-update"),\
\"jobQueue\":$(json_str "$queue"),\"jobDefinition\":$(json_str "$job_definition"),\
\"containerOverrides\":{\"command\":$(json_array "${db_cmd[@]}")}}")
    echo "db update job:  $db_job"
    dependencies+=("$db_job")
fi

array_request="{\"jobName\":$(json_str "pkgscan-${run_id}-shards"),\
\"jobQueue\":$(json_str "$queue"),\"jobDefinition\":$(json_str "$job_definition"),\
\"arrayProperties\":{\"size\":${shards}},\
\"parameters\":{\"out_dir\":$(json_str "/out/${run_id}/shard-{shard}"),\"shard_count\":$(json_str "$shards"),\"regions\":$(json_str "$regions")}"
if [ "${#dependencies[@]}" -gt 0 ]; then
    array_request+=",\"dependsOn\":$(depends_on "${dependencies[@]}")"
fi
array_job=$(submit "${array_request}}")
echo "array job:      $array_job (${shards} shards)"

merge_job=$(submit "{\"jobName\":$(json_str "pkgscan-${run_id}-merge"),\
\"jobQueue\":$(json_str "$queue"),\"jobDefinition\":$(json_str "$job_definition"),\
\"dependsOn\":$(depends_on "$array_job"),\
\"containerOverrides\":{\"command\":$(json_array "${merge_cmd[@]}"),\
\"resourceRequirements\":[{\"type\":\"VCPU\",\"value\":\"1\"},{\"type\":\"MEMORY\",\"value\":\"2048\"}]}}")
echo "merge job:      $merge_job"
echo "results:        /out/${run_id}/merged (on the results file system)"
