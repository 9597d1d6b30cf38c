cwlVersion: v1.2
class: CommandLineTool
id: stager
label: Stager
doc: Lists a File and three Directory inputs (a test package for inputs given by reference).
baseCommand:
  - sh
  - -c
  - |
    set -e
    { cat "$0"
      for d in "$1" "$2" "$3"; do
        echo "== $(basename "$d")"
        (cd "$d" && find . -type f | LC_ALL=C sort | while read -r f; do echo "$f: $(head -n 1 "$f")"; done)
      done
    } > listing.txt
inputs:
  note: {type: File, inputBinding: {position: 1}}
  share: {type: Directory, inputBinding: {position: 2}}
  bucket: {type: Directory, inputBinding: {position: 3}}
  catalog: {type: Directory, inputBinding: {position: 4}}
outputs:
  listing: {type: File, outputBinding: {glob: listing.txt}}
