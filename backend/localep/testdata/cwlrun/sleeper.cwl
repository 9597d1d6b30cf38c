cwlVersion: v1.2
class: CommandLineTool
id: sleeper
label: Sleeper
doc: Writes its process id to pidfile and sleeps (a test package for dismiss and restarts).
baseCommand: [sh, -c, 'echo $$ > "$0.tmp" && mv "$0.tmp" "$0" && exec sleep 600']
inputs:
  pidfile:
    type: string
    inputBinding: {position: 1}
outputs: {}
