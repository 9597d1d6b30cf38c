#!/usr/bin/env cwl-runner
# The EOAP "eoap-api-cli" workflow (ogc-api-processes-with-zoo, cwl-workflows/eoap-api-cli.cwl)
# with geojobs as the OGC API – Processes client:
#   discovery (STAC API search) → prepare (put the item URLs into the execute request)
#   → processes (geojobs run; results as a STAC ItemCollection).
# Give stac_items to skip discovery. The job order has the tutorial's shape (params.yaml):
# stac_api_endpoint, search_request, processes_api_endpoint, execute_request.
cwlVersion: v1.2
$graph:
- class: Workflow
  id: eoap-api
  label: EOAP API workflow (geojobs)
  doc: |
    Searches a STAC API for items (unless stac_items is given), adds their URLs to the
    execute request as the input items_input (default stac_items), runs the process with
    geojobs and returns the search results and the process's STAC ItemCollection.
  requirements:
    InlineJavascriptRequirement: {}
    StepInputExpressionRequirement: {}
    MultipleInputFeatureRequirement: {}
    SchemaDefRequirement:
      types:
      - $import: eoap-types.yaml
  inputs:
    stac_api_endpoint:
      type: eoap-types.yaml#APIEndpoint?
    search_request:
      type: Any?
      doc: STAC search settings (collections, bbox, datetime or datetime_interval, limit, filter-lang, filter).
    stac_items:
      type: string[]?
      doc: STAC item URLs; when given, the discovery step is skipped.
    items_input:
      type: string
      default: stac_items
      doc: The process input that receives the item URLs.
    processes_api_endpoint:
      type: eoap-types.yaml#APIEndpoint
    execute_request:
      type: eoap-types.yaml#OGCExecuteProcessSettings
  outputs:
    search_output:
      type: File?
      outputSource: discovery/search_output
    process_output:
      type: File
      outputSource: processes/feature_collection
  steps:
    discovery:
      label: Discovery step
      when: $(inputs.stac_items == null)
      in:
        api_endpoint: stac_api_endpoint
        search_request: search_request
        stac_items: stac_items
      run: '#stac-client'
      out: [search_output, item_urls]
    prepare:
      label: Prepare the execute request
      in:
        execute_request: execute_request
        stac_items:
          source: [stac_items, discovery/item_urls]
          pickValue: first_non_null
        items_input: items_input
      run: '#prepare-execute-request'
      out: [request]
    processes:
      label: Processes step
      in:
        api_endpoint:
          source: processes_api_endpoint
          valueFrom: $(self.url.value)
        headers:
          source: processes_api_endpoint
          valueFrom: $(self.headers)
        execute_request: prepare/request
      run: '#geojobs-execute'
      out: [feature_collection]

- class: CommandLineTool
  id: stac-client
  label: STAC client
  doc: Searches a STAC API with pystac-client's stac-client (as in the tutorial).
  requirements:
    InlineJavascriptRequirement: {}
    NetworkAccess:
      networkAccess: true
  hints:
    DockerRequirement:
      dockerPull: stac-client
  inputs:
    api_endpoint:
      type: Any
    search_request:
      type: Any
    stac_items:
      type: string[]?
  outputs:
    search_output:
      type: File
      outputBinding:
        glob: discovery-output.json
    item_urls:
      type: string[]
      doc: The items' self links (read within CWL's 64 KiB loadContents limit).
      outputBinding:
        glob: discovery-output.json
        loadContents: true
        outputEval: |-
          ${
            return JSON.parse(self[0].contents).features.map(function (f) {
              var l = (f.links || []).filter(function (l) { return l.rel === "self"; })[0];
              return l ? l.href : null;
            }).filter(function (u) { return u !== null; });
          }
  baseCommand: [stac-client, search]
  arguments:
  - $(inputs.api_endpoint.url.value)
  - ${
      var s = inputs.search_request || {};
      var a = [];
      if (s.collections) { a.push("--collections", s.collections.join(",")); }
      if (s.bbox && s.bbox.length >= 4) { a.push("--bbox"); s.bbox.forEach(function (v) { a.push(String(v)); }); }
      a.push("--limit", String(s.limit || 10), "--max-items", String(s.max_items || 5));
      if (s["filter-lang"]) { a.push("--filter-lang", s["filter-lang"]); }
      if (s.filter) { a.push("--filter", JSON.stringify(s.filter)); }
      if (s.datetime) { a.push("--datetime", s.datetime); }
      else if (s.datetime_interval) {
        var i = s.datetime_interval;
        a.push("--datetime", ((i.start && i.start.value) || "..") + "/" + ((i.end && i.end.value) || ".."));
      }
      return a;
    }
  - --save
  - discovery-output.json

- class: ExpressionTool
  id: prepare-execute-request
  label: Put the STAC item URLs into the execute request
  requirements:
    InlineJavascriptRequirement: {}
  inputs:
    execute_request:
      type: Any
    stac_items:
      type: string[]?
    items_input:
      type: string
  outputs:
    request:
      type: Any
  expression: |-
    ${
      if (inputs.stac_items == null) { throw "no STAC items: give stac_items or a search_request"; }
      var req = JSON.parse(JSON.stringify(inputs.execute_request));
      req.inputs = req.inputs || {};
      req.inputs[inputs.items_input] = inputs.stac_items;
      return { request: req };
    }

- class: CommandLineTool
  id: geojobs-execute
  label: OGC API – Processes client (geojobs run)
  doc: geojobs-run.cwl with the request given as a value instead of a file.
  requirements:
    InlineJavascriptRequirement: {}
    NetworkAccess:
      networkAccess: true
    InitialWorkDirRequirement:
      listing:
      - entryname: execute-request.json
        entry: $(JSON.stringify(inputs.execute_request))
      - entryname: geojobs-headers.txt
        entry: |-
          ${
            var hs = inputs.headers || [];
            return hs.map(function (h) { return h.key + ": " + h.value; }).join("\n") + "\n";
          }
  hints:
    DockerRequirement:
      dockerPull: ghcr.io/geojobs/geojobs:latest
  baseCommand: [ogc-api-processes-client]
  arguments:
  - --execute-request
  - execute-request.json
  - --output
  - feature-collection.json
  - --header-file
  - geojobs-headers.txt
  inputs:
    api_endpoint:
      type: string
      inputBinding:
        prefix: --api-endpoint
    headers:
      type: Any?
    execute_request:
      type: Any
  outputs:
    feature_collection:
      type: File
      outputBinding:
        glob: feature-collection.json
