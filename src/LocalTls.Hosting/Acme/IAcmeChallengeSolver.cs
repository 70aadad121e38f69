namespace LocalTls.Acme;

/// <summary>
/// Makes one kind of challenge answerable: publishes the answer before the server is told to validate, and
/// removes it afterwards. See <see cref="Http01ChallengeServer"/> and <see cref="Dns01ChallengeSolver"/>.
/// </summary>
internal interface IAcmeChallengeSolver
{
    /// <summary>The challenge type solved, e.g. <see cref="AcmeChallengeTypes.Http01"/>.</summary>
    string ChallengeType { get; }

    /// <summary>Publishes the answer for one challenge; the server validates once this has completed.</summary>
    /// <param name="work">The challenge and its answer.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>A task that completes when the answer can be fetched.</returns>
    Task PrepareAsync(AcmeChallengeWork work, CancellationToken cancellationToken);

    /// <summary>Removes what <see cref="PrepareAsync"/> published. Called whether the validation succeeded or not.</summary>
    /// <param name="work">The same work as given to <see cref="PrepareAsync"/>.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>A task that completes when the answer is gone.</returns>
    Task CleanupAsync(AcmeChallengeWork work, CancellationToken cancellationToken);
}

/// <summary>One challenge to answer, with everything a solver publishes.</summary>
internal sealed class AcmeChallengeWork
{
    /// <summary>Creates the work item.</summary>
    /// <param name="authorization">The authorization the challenge belongs to.</param>
    /// <param name="challenge">The challenge.</param>
    /// <param name="keyAuthorization">The key authorization for the challenge's token.</param>
    public AcmeChallengeWork(AcmeAuthorization authorization, AcmeChallenge challenge, string keyAuthorization)
    {
        ArgumentNullException.ThrowIfNull(authorization);
        ArgumentNullException.ThrowIfNull(challenge);
        ArgumentException.ThrowIfNullOrEmpty(keyAuthorization);
        Authorization = authorization;
        Challenge = challenge;
        KeyAuthorization = keyAuthorization;
    }

    /// <summary>The authorization.</summary>
    public AcmeAuthorization Authorization { get; }

    /// <summary>The challenge.</summary>
    public AcmeChallenge Challenge { get; }

    /// <summary>The key authorization: the HTTP-01 response body.</summary>
    public string KeyAuthorization { get; }

    /// <summary>The name or address being validated, without a wildcard's <c>*.</c>.</summary>
    public string Name => Authorization.Identifier.Value;

    /// <summary>The challenge's token: the HTTP-01 path is <c>/.well-known/acme-challenge/{Token}</c>.</summary>
    public string Token => Challenge.Token;

    /// <summary>The DNS-01 TXT record name: <c>_acme-challenge.{Name}</c>.</summary>
    public string DnsRecordName => "_acme-challenge." + Name;

    /// <summary>The DNS-01 TXT record value: base64url(SHA-256(key authorization)).</summary>
    public string DnsRecordValue => AcmeAccountKey.GetDns01Value(KeyAuthorization);
}
