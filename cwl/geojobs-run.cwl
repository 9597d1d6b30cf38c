#!/usr/bin/env cwl-runner
# Runs one process on an OGC API – Processes server with `geojobs run` and returns
# the results as a STAC ItemCollection (feature-collection.json).
# Exit status 1: the job failed (the server's reason is in the step's stderr);
# 2: bad request; 3: server error; 4: timeout (see `geojobs run --help`).
cwlVersion: v1.2
class: CommandLineTool
id: geojobs-run
label: OGC API – Processes client (geojobs run)
doc: |
  Submits an execute request to an OGC API – Processes endpoint (asynchronously when the
  process allows it), follows the job and writes the results as a STAC ItemCollection:
  the STAC the process returned (inline or by reference), or one Item whose assets are
  the job's outputs. Headers (e.g. Authorization) are written to a file in the working
  directory rather than put on the command line, so they do not appear in the runner's logs.

requirements:
  InlineJavascriptRequirement: {}
  NetworkAccess:
    networkAccess: true
  SchemaDefRequirement:
    types:
    - $import: eoap-types.yaml
  InitialWorkDirRequirement:
    listing:
    - entryname: geojobs-headers.txt
      entry: |-
        ${
          var hs = inputs.headers || [];
          return hs.map(function (h) { return h.key + ": " + h.value; }).join("\n") + "\n";
        }

# A hint, not a requirement, so that cwltool --no-container can run the tool with a local geojobs.
hints:
  DockerRequirement:
    dockerPull: ghcr.io/geojobs/geojobs:latest

# The image's entrypoint is geojobs; `geojobs ogc-api-processes-client …` is `geojobs run …`.
# Without a container, ogc-api-processes-client is the symlink to geojobs (or geojobs' alias).
baseCommand: [ogc-api-processes-client]
arguments:
- --output
- feature-collection.json
- --header-file
- geojobs-headers.txt

inputs:
  api_endpoint:
    label: OGC API – Processes endpoint
    doc: The API's landing page URL, with or without a trailing slash.
    type: string
    inputBinding:
      prefix: --api-endpoint
  process_id:
    label: Process id
    doc: The process to run; may be left out when the request file has a process_id.
    type: string?
    inputBinding:
      prefix: --process-id
  execute_request:
    label: Execute request
    doc: 'JSON or YAML: {"inputs": …, "outputs": …, "response": …} or {"process_id": …, "inputs": …}.'
    type: File
    inputBinding:
      prefix: --execute-request
  headers:
    label: HTTP headers
    doc: Sent with every request to the endpoint (the EOAP APIEndpoint.headers shape).
    type:
    - 'null'
    - type: array
      items: eoap-types.yaml#KeyValuePair
  timeout:
    label: Timeout
    doc: Give up after this long (Go duration, e.g. 90m, 2h); default 24h.
    type: string?
    inputBinding:
      prefix: --timeout
  dismiss_on_interrupt:
    label: Dismiss the job if the step is killed
    type: boolean?
    inputBinding:
      prefix: --dismiss-on-interrupt

outputs:
  feature_collection:
    label: STAC ItemCollection of the results
    type: File
    outputBinding:
      glob: feature-collection.json
  result_files:
    label: Inline outputs saved next to the ItemCollection (linked as its assets)
    type: File[]
    outputBinding:
      glob: "*"
      outputEval: |-
        ${ return self.filter(function (f) {
             return f.class === "File" && f.basename !== "feature-collection.json" && f.basename !== "geojobs-headers.txt";
           }); }
