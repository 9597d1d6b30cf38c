cwlVersion: v1.2
class: CommandLineTool
id: sleeper
label: Sleeper
doc: |
  Starts a child that sleeps, writes the child's process id to pidfile and waits for it
  (a test package for dismiss and restarts: the child is a grandchild of cwltool). Fails
  at once when pidfile cannot be written.
baseCommand: [sh, -c, 'touch "$0.tmp" || exit 3; sleep 600 & echo $! > "$0.tmp" && mv "$0.tmp" "$0"; wait']
inputs:
  pidfile:
    type: string
    inputBinding: {position: 1}
outputs: {}
