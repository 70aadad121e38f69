namespace LocalTls.Trust;

internal enum TrustPlatform
{
    Linux,
    MacOS,
    Windows,
}

/// <summary>
/// Where the stores are looked for. Every default comes from the environment (<c>HOME</c>, <c>JAVA_HOME</c>, <c>PATH</c>);
/// tests point them at temporary trees and record the system commands instead of running them.
/// </summary>
internal sealed class TrustOptions
{
    /// <summary>The home directory whose stores are used: <c>$HOME</c>, else the user profile.</summary>
    public string Home { get; init; } = DefaultHome();

    /// <summary>A prefix for system paths (<c>/etc</c>, <c>/usr</c>, <c>/Library</c>): "/" on a real machine, a temporary tree in tests.</summary>
    public string SystemRoot { get; init; } = "/";

    public TrustPlatform Platform { get; init; } =
        OperatingSystem.IsWindows() ? TrustPlatform.Windows : OperatingSystem.IsMacOS() ? TrustPlatform.MacOS : TrustPlatform.Linux;

    /// <summary>Reads an environment variable (NODE_EXTRA_CA_CERTS, SSL_CERT_DIR, JAVA_HOME, PATH).</summary>
    public Func<string, string?> GetVariable { get; init; } = Environment.GetEnvironmentVariable;

    public ICommandRunner Runner { get; init; } = ProcessCommandRunner.Instance;

    /// <summary>Said before a step that may stop to ask (sudo's password prompt), so the user knows why it asks.</summary>
    public Action<string> Progress { get; init; } = _ => { };

    /// <summary>Whether this process runs as root (administrator): then system stores need no sudo.</summary>
    public bool Privileged { get; init; } = Environment.IsPrivilegedProcess;

    /// <summary>Forces (true) or forbids (false) sudo for system stores; <see langword="null"/>: sudo only when not root and the store is not writable.</summary>
    public bool? UseSudo { get; init; }

    /// <summary>Whether this process may write a file or directory without sudo (a probe write by default).</summary>
    public Func<string, bool> IsWritable { get; init; } = CanWrite;

    /// <summary>The JDK whose <c>cacerts</c> is used: <c>$JAVA_HOME</c>, else the one <c>keytool</c> on PATH belongs to.</summary>
    public string? JavaHome { get; init; }

    /// <summary>A Java keystore to use instead of the JDK's <c>lib/security/cacerts</c>.</summary>
    public string? JavaKeystore { get; init; }

    /// <summary>The Java keystore's password (the JDK's default).</summary>
    public string JavaKeystorePassword { get; init; } = "changeit";

    /// <summary>Finds a program: <c>PATH</c> from <see cref="GetVariable"/>, then <c>/usr/sbin</c> and <c>/sbin</c> (where update commands live).</summary>
    public Func<string, string?>? FindProgram { get; init; }

    public string? Find(string program)
    {
        if (FindProgram is not null)
        {
            return FindProgram(program);
        }

        var path = GetVariable("PATH") ?? "";
        var suffixes = Platform == TrustPlatform.Windows ? new[] { ".exe", "" } : [""];
        foreach (var dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Concat(["/usr/sbin", "/sbin"]))
        {
            foreach (var suffix in suffixes)
            {
                var candidate = Path.Combine(dir, program + suffix);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>A system path under <see cref="SystemRoot"/>: <c>System("etc/pki/nssdb")</c>.</summary>
    public string System(string relative) => Path.Combine(SystemRoot, relative);

    public string InHome(params string[] parts) => Path.Combine([Home, .. parts]);

    private static bool CanWrite(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                var probe = Path.Combine(path, $".localtls-probe-{Environment.ProcessId}");
                using (File.Create(probe))
                {
                }

                File.Delete(probe);
            }
            else
            {
                using var _ = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
            }

            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static string DefaultHome()
    {
        var home = Environment.GetEnvironmentVariable("HOME");
        return string.IsNullOrWhiteSpace(home) ? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) : home;
    }
}
