namespace LocalTls.Diagnostics;

/// <summary>One file to write: its path, its text, and whether it is secret (mode 0600 on Unix).</summary>
internal readonly record struct FileToWrite(string Path, string Content, bool Secret = false);

/// <summary>
/// Writes a set of files so that a failure leaves nothing half-written: every file is written to a temporary
/// sibling first, and only when all are on disk are they renamed into place.
/// </summary>
internal static class AtomicFiles
{
    private const UnixFileMode SecretMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode PublicMode = SecretMode | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    public static void WriteAll(IReadOnlyList<FileToWrite> files, string whatFor)
    {
        var staged = new List<(string Temp, string Final)>();
        try
        {
            foreach (var file in files)
            {
                var directory = Path.GetDirectoryName(Path.GetFullPath(file.Path))!;
                Directory.CreateDirectory(directory);
                var temp = Path.Combine(directory, $".{Path.GetFileName(file.Path)}.{Guid.NewGuid():N}.tmp");
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.WriteThrough };
                if (!OperatingSystem.IsWindows())
                {
                    options.UnixCreateMode = file.Secret ? SecretMode : PublicMode;
                }

                using (var stream = new FileStream(temp, options))
                using (var writer = new StreamWriter(stream))
                {
                    staged.Add((temp, file.Path));
                    writer.Write(file.Content);
                }
            }

            foreach (var (temp, final) in staged)
            {
                File.Move(temp, final, overwrite: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            foreach (var (temp, _) in staged)
            {
                TryDelete(temp);
            }

            throw new IOException($"Could not write {whatFor}: {e.Message} Nothing was changed. Choose a writable directory or fix its permissions.", e);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a stray temporary file is harmless and names itself as one.
        }
    }
}
