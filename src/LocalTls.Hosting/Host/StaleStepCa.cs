namespace LocalTls.Host;

/// <summary>Finds a step-ca left over from an earlier run that still holds a data directory (Badger's lock).</summary>
internal static class StaleStepCa
{
    /// <summary>The PID of a step-ca whose command line names a file under <paramref name="dataDirectory"/>, where /proc can tell.</summary>
    public static int? FindHolder(string dataDirectory)
    {
        if (!OperatingSystem.IsLinux() || !Directory.Exists("/proc"))
        {
            return null;
        }

        var prefix = Path.GetFullPath(dataDirectory).TrimEnd('/') + "/";
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(folder), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                var args = File.ReadAllText(Path.Combine(folder, "cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
                if (args.Length > 0 && Path.GetFileName(args[0]).StartsWith("step-ca", StringComparison.Ordinal) && args.Skip(1).Any(a => a.StartsWith(prefix, StringComparison.Ordinal)))
                {
                    return pid;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The process ended or is not ours to read.
            }
        }

        return null;
    }
}
