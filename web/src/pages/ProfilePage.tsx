// The profile page of an entity that is not an address (/profile/ENTITY): a domain, a network or
// an AS number, from GET /api/profile. Addresses have the IP page, which shows the same sections.

import type { TimeRange } from '../api';
import { PinToCase } from '../components/PinToCase';
import { ProfileSections } from '../components/ProfileSections';

export default function ProfilePage({ entity, range, rangeKey, canPin = false }: { entity: string; range: TimeRange; rangeKey: string; canPin?: boolean }) {
  return (
    <main className="page profile-page" data-testid="profile-page">
      <header className="entity-head">
        <div>
          <div className="muted small">{/^AS\d+$/i.test(entity) ? 'AS number' : entity.includes('/') ? 'network' : 'domain'}</div>
          <h1 className="mono">{entity}</h1>
        </div>
        {canPin && <PinToCase pin={{ type: 'entity', value: entity }} className="chip pivot-button" />}
      </header>
      <ProfileSections entity={entity} range={range} rangeKey={rangeKey} />
    </main>
  );
}
