namespace LocalTls;

/// <summary>One file to write: its path, its text (or bytes), and whether it is secret (mode 0600 on Unix).</summary>
internal readonly record struct FileToWrite(string Path, string Content, bool Secret = false, byte[]? Bytes = null);

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
        var renamed = 0;
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
                {
                    staged.Add((temp, file.Path));
                    if (file.Bytes is { } bytes)
                    {
                        stream.Write(bytes);
                    }
                    else
                    {
                        using var writer = new StreamWriter(stream);
                        writer.Write(file.Content);
                    }
                }
            }

            foreach (var (temp, final) in staged)
            {
                File.Move(temp, final, overwrite: true);
                renamed++;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            foreach (var (temp, _) in staged)
            {
                TryDelete(temp);
            }

            // Renames within one directory practically never fail once every file is staged; say so if one did.
            var outcome = renamed == 0 ? "Nothing was changed." : $"{renamed} of {staged.Count} files were already replaced; run the command again to finish.";
            throw new IOException($"Could not write {whatFor}: {e.Message} {outcome} Choose a writable directory or fix its permissions.", e);
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
