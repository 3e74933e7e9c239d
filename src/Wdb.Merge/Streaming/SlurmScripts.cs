namespace Wdb.Merge.Streaming;

/// <summary>
/// The scripts a cluster plan leaves in <c>WORK/slurm</c> (docs/cluster.md): the zone tasks as one Slurm job
/// array, the stitch as a job that waits for all of them (<c>afterok</c>), a submit script that sends both, and
/// the same work in turn on this machine for a site without Slurm. Site options (partition, account, time,
/// memory) go on submit.sh's command line, which passes them to both sbatch calls.
/// </summary>
public static class SlurmScripts
{
    public const string DirectoryName = "slurm";

    public static string SubmitPath(string work) => Path.Combine(work, DirectoryName, "submit.sh");

    /// <param name="taskMemoryBytes">What each task asks for (<c>--mem</c>), from the largest zone.</param>
    /// <param name="wdb">How the scripts call wdb: an absolute path, or a command line (already quoted for the shell).</param>
    internal static void Write(string work, int tasks, long taskMemoryBytes, string wdb)
    {
        long memMb = (taskMemoryBytes + (1 << 20) - 1) >> 20;
        string dir = Path.Combine(work, DirectoryName), w = Quote(work);
        Directory.CreateDirectory(dir);
        Script(dir, "tasks.sbatch", $$"""
            #!/bin/bash
            # One task per declination zone of the plan in {{CommentText(work)}}: wdb cluster task (docs/cluster.md).
            #SBATCH --job-name=wdb-zones
            #SBATCH --array=0-{{tasks - 1}}
            #SBATCH --mem={{memMb}}M
            #SBATCH --output=task-%a.log
            set -e
            # submit.sh gives the work directory where it is now (Slurm runs a copy of this script); else where it was planned.
            work=${1:-{{w}}}
            exec {{wdb}} cluster task --work "$work" --task "$SLURM_ARRAY_TASK_ID"
            """);
        Script(dir, "stitch.sbatch", $$"""
            #!/bin/bash
            # After every zone task: the open rows linked and the tables written to the plan's --out.
            #SBATCH --job-name=wdb-stitch
            #SBATCH --output=stitch.log
            set -e
            work=${1:-{{w}}}
            exec {{wdb}} cluster stitch --work "$work"
            """);
        Script(dir, "submit.sh", $$"""
            #!/bin/sh
            # Submits the {{tasks}} zone tasks as a job array and the stitch to start once all of them succeeded.
            # Options for both jobs go on this script's command line, e.g. ./submit.sh --partition=long --time=2:00:00
            set -e
            CDPATH= cd -- "$(dirname -- "$0")"
            # The work directory as it is reached now, though moved (or mounted elsewhere) since the plan.
            work=$(cd .. && pwd)
            array=$(sbatch --parsable "$@" tasks.sbatch "$work")
            array=${array%%;*}
            stitch=$(sbatch --parsable --dependency=afterok:"$array" "$@" stitch.sbatch "$work")
            echo "wdb: zone tasks: job $array (array 0-{{tasks - 1}}); stitch: job ${stitch%%;*}; logs in $(pwd)"
            """);
        Script(dir, "run-here.sh", $"""
            #!/bin/sh
            # The same work on this machine, without Slurm: each zone task in turn, then the stitch.
            set -e
            # The work directory is the one above this script's, though moved (or mounted elsewhere) since the plan.
            work=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
            task=0
            while [ "$task" -lt {tasks} ]; do
              {wdb} cluster task --work "$work" --task "$task"
              task=$((task + 1))
            done
            exec {wdb} cluster stitch --work "$work"
            """);
    }

    private static void Script(string dir, string name, string text)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllText(path, text + "\n");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                       UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
    }

    /// <summary>
    /// <paramref name="text"/> for a comment line: a line end in it (a path may hold one) would end the comment and
    /// make the rest of the path a command, so each control character is written as its escape.
    /// </summary>
    private static string CommentText(string text) =>
        string.Concat(text.Select(c => c switch
        {
            '\n' => "\\n", '\r' => "\\r", _ when char.IsControl(c) => $"\\x{(int)c:x2}", _ => c.ToString(),
        }));

    /// <summary>One word for a POSIX shell, whatever it holds.</summary>
    public static string Quote(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "/._-+=:,@".Contains(c)) ? word : "'" + word.Replace("'", "'\\''") + "'";
}
