cwlVersion: v1.2
$graph:
  - class: Workflow
    id: greet
    label: Greeting
    doc: Writes a greeting file (a test package for the built-in endpoint's cwltool runs).
    inputs:
      name: string
      times:
        type: int
        default: 2
      loud:
        type: boolean
        default: false
      tone:
        type:
          type: enum
          symbols: [plain, fancy]
        default: plain
      note: File?
      words:
        type: string[]
        default: []
    outputs:
      greeting:
        type: File
        outputSource: say/out
      message:
        type: string
        outputSource: say/message
    steps:
      say:
        run: "#say"
        in:
          name: name
          times: times
          loud: loud
          tone: tone
          note: note
          words: words
        out: [out, message]
  - class: CommandLineTool
    id: say
    baseCommand:
      - sh
      - -c
      - |
        for a in "$@"; do
          k=`echo "$a" | cut -d= -f1`; v=`echo "$a" | cut -d= -f2-`
          case "$k" in
            name) name="$v";; times) times="$v";; loud) loud="$v";; tone) tone="$v";;
            note) note="$v";; word) words="$words $v";;
          esac
        done
        echo "step say: greeting $name" >&2
        i=0
        while [ "$i" -lt "$times" ]; do echo "hello $name ($tone)"; i=`expr $i + 1`; done > greeting.txt
        if [ "$loud" = true ]; then echo LOUD >> greeting.txt; fi
        if [ -n "$note" ]; then cat "$note" >> greeting.txt; fi
        echo "words:$words" >> greeting.txt
        printf 'greeted %s' "$name" > message.txt
      - sh
    inputs:
      name:
        type: string
        inputBinding: {position: 1, valueFrom: "name=$(self)"}
      times:
        type: int
        inputBinding: {position: 2, valueFrom: "times=$(self)"}
      loud:
        type: boolean
        inputBinding: {position: 3, valueFrom: "loud=$(self)"}
      tone:
        type:
          type: enum
          symbols: [plain, fancy]
        inputBinding: {position: 4, valueFrom: "tone=$(self)"}
      note:
        type: File?
        inputBinding: {position: 5, prefix: "note=", separate: false}
      words:
        type:
          type: array
          items: string
          inputBinding: {prefix: "word=", separate: false}
        inputBinding: {position: 6}
    outputs:
      out:
        type: File
        outputBinding: {glob: greeting.txt}
      message:
        type: string
        outputBinding:
          glob: message.txt
          loadContents: true
          outputEval: $(self[0].contents)
