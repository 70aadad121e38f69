namespace LocalTls.Trust;

/// <summary>Every store by its <c>--store</c> name, and the default set: the stores present for this user.</summary>
internal static class TrustStores
{
    public static IReadOnlyList<TrustStore> All(TrustOptions options) =>
    [
        new LinuxSystemTrustStore(options),
        new UserDirectoryTrustStore(options),
        new NssTrustStore(options),
        new JavaTrustStore(options),
        new KeychainTrustStore(options),
        new WindowsTrustStore(options),
        new NodeTrustStore(options),
    ];

    public static IReadOnlyList<string> Names { get; } = All(new TrustOptions()).Select(s => s.Name).ToArray();

    /// <summary>The named stores, or the present ones when no name is given.</summary>
    /// <exception cref="ArgumentException">A name is not a store; the message lists the names.</exception>
    public static IReadOnlyList<TrustStore> Select(TrustOptions options, IReadOnlyCollection<string> names)
    {
        var all = All(options);
        if (names.Count == 0)
        {
            return all.Where(s => s.IsPresent).ToList();
        }

        var unknown = names.Where(n => all.All(s => s.Name != n)).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException($"Unknown store '{string.Join("', '", unknown)}'. Use one of: {string.Join(", ", all.Select(s => s.Name))} (or leave out --store for the stores present for this user).");
        }

        return all.Where(s => names.Contains(s.Name)).ToList();
    }
}
